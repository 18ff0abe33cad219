"""Local playground adapter: the same ChatAdapter contract, rendered as HTML in a browser."""

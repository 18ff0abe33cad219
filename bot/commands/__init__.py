"""Commands: the table (``table``), what a handler is given (``context``), and the handlers."""

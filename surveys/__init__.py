"""The survey engine: program file, question banks, cadences, delivery ledger, digests."""

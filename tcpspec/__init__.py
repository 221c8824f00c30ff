"""tcpspec: the command line and reports over `spec` (what TCP does) and `checks` (what holds)."""

"""`tcpspec explore`: the model in a browser (see `core`, `server`, `static`)."""

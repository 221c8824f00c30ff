"""tcpspec.checks: what must hold, and the engines that check it."""

"""``python -m tcpspec``: the same as the `tcpspec` command."""

from tcpspec.cli import main

main()

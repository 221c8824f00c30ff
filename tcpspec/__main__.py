"""``python -m tcpspec``: the same as the `tcpspec` command."""

from tcpspec.cli import main

if __name__ == "__main__":  # (a documentation tool that imports every module runs nothing)
    main()

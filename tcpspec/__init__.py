"""tcpspec: a machine-checked formal specification of TCP connection setup and teardown.

`tcpspec.spec` says what TCP does (RFC 9293), `tcpspec.checks` what must hold and how each
engine checks it, `tcpspec.diagrams` what is drawn; `tcpspec.cli` is the command line.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tcpspec")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"

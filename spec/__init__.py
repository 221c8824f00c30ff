"""tcpspec.spec: what TCP does.

The transition relation of TCP connection setup and teardown (RFC 9293), written once as data:
tables of guarded cases (`spec.rules`) that the explicit engine interprets on concrete values and
the Z3 engine compiles to formulas. Nothing outside this package states a rule of TCP.
"""

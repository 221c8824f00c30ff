"""USER CALLS: OPEN, SEND, CLOSE, ABORT (RFC 9293 sections 3.10.1, 3.10.2, 3.10.4, 3.10.5).

Each application follows a script set by its `spec.model.Side`: open (actively or passively),
SEND ``side.data`` units, then CLOSE (a half-close, like shutdown(SHUT_WR): it stops sending and
keeps receiving). ABORT is possible at any time only when ``side.abort`` is set.
"""

from __future__ import annotations

from tcpspec.spec.logic import And, Not
from tcpspec.spec.rules import Case
from tcpspec.spec.segment import DATA, FIN, RST, RST_ACK, SYN
from tcpspec.spec.states import Reason
from tcpspec.spec.states import State as S

ST = frozenset

USER: tuple[Case, ...] = (
    Case("user.open_active", "3.10.1",
         "OPEN (active), CLOSED: select an ISS, send a SYN segment <SEQ=ISS><CTL=SYN>, set "
         "SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT.",
         ST({S.CLOSED}), lambda c: And(c.side.active, c.me.reason == Reason.NONE),
         lambda c: dict(st=S.SYN_SENT, snd_una=c.side.iss, snd_nxt=c.side.iss + 1,
                        emit=SYN(c.side.iss)), call="OPEN active"),
    Case("user.open_passive", "3.10.1",
         "OPEN (passive), CLOSED: create a TCB and enter LISTEN.",
         ST({S.CLOSED}), lambda c: And(c.side.passive, c.me.reason == Reason.NONE),
         lambda c: dict(st=S.LISTEN, snd_una=c.side.iss, snd_nxt=c.side.iss), call="OPEN passive"),
    Case("user.send", "3.10.2",
         "SEND, ESTABLISHED or CLOSE-WAIT: segmentize the buffer and send it with a "
         "piggybacked acknowledgment (acknowledgment value = RCV.NXT).",
         ST({S.ESTABLISHED, S.CLOSE_WAIT}), lambda c: c.me.sent < c.side.data,
         lambda c: dict(snd_nxt=c.me.snd_nxt + 1, sent=c.me.sent + 1,
                        emit=DATA(c.me.snd_nxt, c.me.rcv_nxt)), call="SEND"),
    Case("user.close", "3.10.4",
         "CLOSE, ESTABLISHED: queue this until all preceding SENDs have been segmentized, then "
         "form a FIN segment and send it. In any case, enter FIN-WAIT-1 state.",
         ST({S.ESTABLISHED}), lambda c: And(c.side.closes, c.me.sent == c.side.data),
         lambda c: dict(st=S.FIN_WAIT_1, snd_nxt=c.me.snd_nxt + 1,
                        emit=FIN(c.me.snd_nxt, c.me.rcv_nxt)), call="CLOSE", queues=True),
    Case("user.close_close_wait", "3.10.4",
         "CLOSE, CLOSE-WAIT: queue this request until all preceding SENDs have been "
         "segmentized; then send a FIN segment, enter LAST-ACK state.",
         ST({S.CLOSE_WAIT}), lambda c: And(c.side.closes, c.me.sent == c.side.data),
         lambda c: dict(st=S.LAST_ACK, snd_nxt=c.me.snd_nxt + 1,
                        emit=FIN(c.me.snd_nxt, c.me.rcv_nxt)), call="CLOSE", queues=True),
    # CLOSE before the connection is established. The scenarios' applications close only once
    # ESTABLISHED; a sockets application (Side.early_close) may close at once.
    Case("user.close_listen", "3.10.4",
         "CLOSE, LISTEN: any outstanding RECEIVEs are returned with \"error: closing\" "
         "responses. Delete TCB, enter CLOSED state, and return.",
         ST({S.LISTEN}), lambda c: c.side.early_close,
         lambda c: dict(st=S.CLOSED, reason=Reason.ABORT), call="CLOSE"),
    Case("user.close_syn_sent", "3.10.4",
         "CLOSE, SYN-SENT: delete the TCB and return \"error: closing\" responses to any "
         "queued SENDs, or RECEIVEs (no segment is sent; a late SYN,ACK is answered from "
         "CLOSED).",
         ST({S.SYN_SENT}), lambda c: c.side.early_close,
         lambda c: dict(st=S.CLOSED, reason=Reason.ABORT), call="CLOSE"),
    Case("user.close_syn_received", "3.10.4",
         "CLOSE, SYN-RECEIVED: if no SENDs have been issued and there is no pending data to "
         "send, then form a FIN segment and send it, and enter FIN-WAIT-1 state.",
         ST({S.SYN_RECEIVED}), lambda c: And(c.side.early_close, c.me.sent == 0),
         lambda c: dict(st=S.FIN_WAIT_1, snd_nxt=c.me.snd_nxt + 1,
                        emit=FIN(c.me.snd_nxt, c.me.rcv_nxt)), call="CLOSE", queues=True),
    Case("user.abort_reset", "3.10.5",
         "ABORT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: send a reset "
         "segment <SEQ=SND.NXT><CTL=RST>, delete the TCB, enter CLOSED.",
         ST({S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT}),
         lambda c: c.side.abort,
         lambda c: dict(st=S.CLOSED, reason=Reason.ABORT, emit=RST(c.me.snd_nxt)), call="ABORT"),
    Case("user.abort_reset_ack", "3.10.5",
         "ABORT as Linux sends it (tcp_send_active_reset): the reset carries the ACK bit, "
         "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>; RFC 9293 writes <SEQ=SND.NXT><CTL=RST>. "
         "Both forms are accepted; this one only for sides that say so (Side.rst_ack).",
         ST({S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT}),
         lambda c: And(c.side.abort, c.side.rst_ack),
         lambda c: dict(st=S.CLOSED, reason=Reason.ABORT,
                        emit=RST_ACK(c.me.snd_nxt, c.me.rcv_nxt)), call="ABORT"),
    Case("user.abort_quiet", "3.10.5",
         "ABORT, LISTEN, SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT: delete the TCB, enter CLOSED "
         "(no reset is sent).",
         ST({S.LISTEN, S.SYN_SENT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT}),
         lambda c: And(c.side.abort, Not(c.me.reason == Reason.ABORT)),
         lambda c: dict(st=S.CLOSED, reason=Reason.ABORT, tw=-1), call="ABORT"),
)

"""Conformance with real TCP stacks: captures read (`pcap`), checked against the model by a
search over its states (`conform`); the capture harness in private network namespaces
(`capture`) and its scripted fake peer (`fakepeer`); model-based tests replayed against the
kernel (`mbt`)."""

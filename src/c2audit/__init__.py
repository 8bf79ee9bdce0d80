"""c2audit: a Linux audit daemon, rule compiler and log toolkit.

Data flows one way: kernel/file → records → events → sinks.  Pure cores
(``netlink``, ``rules``, ``records``, ``events``, ``interpret``, ``seal``) do no
I/O; edges (``kernel``, ``daemon``, ``cli``) drive them.
"""

__version__ = "0.1.0"

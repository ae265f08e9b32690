"""A simulated Japanese home for tests and for scripts/develop (not shipped).

So far: a Wi-SUN dongle (SK command set, both dialects) on a pseudo-terminal.
"""

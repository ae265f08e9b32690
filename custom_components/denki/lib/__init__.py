"""Denki's protocol library: ECHONET Lite, B-route, OpenADR and savings.

Nothing under this package imports Home Assistant; it could be published to
PyPI unchanged. The Home Assistant half of the integration builds on it.
"""

"""Aggregators: demand-response events in (OpenADR 3, OpenADR 2.0b, the MQTT profile), reports out.

`entry` sets an aggregator entry up, `hub` acts on each event change (the
automatic response, its restore, the reports), `sources` holds one class per
protocol behind the `source.Source` protocol, `entities` shows the events,
`services` offers opt-in and opt-out, and `config_flow` adds and changes it.
"""

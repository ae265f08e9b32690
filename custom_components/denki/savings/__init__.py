"""Savings: kWh saved against a recognised baseline, points, streaks, challenges and cards.

`tracker` follows the household's energy sensor (and a Denki meter's
back-fill) into 30-minute slots and scores each DR event and week with
`lib.savings`; `entities` shows the result; `card` serves the dashboard card
in `frontend/`; `config_flow` adds the one savings entry a home has.
"""

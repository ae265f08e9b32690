"""Smart meters: low-voltage over the B-route (a Wi-SUN dongle), high-voltage over the LAN.

`entry` sets either kind up, `coordinator` and `hv` poll them, `statistics`
keeps their energy statistics gap-free from the meter's own records,
`config_flow` adds them (by hand, by USB discovery, or as found on the LAN),
and `lv_sensor` / `hv_sensor` / `sensor` are their entities.
"""

"""ECHONET Lite appliances on the home LAN: discovered, polled and controlled as native entities.

`entry` sets an appliances entry up (its nodes, discovery and the unknown-Set
alert), `hub` holds the objects' coordinators, `plan` decides from the class
data which entity each property becomes, `entity` is their base, and the
platform modules (`climate`, `sensor`, …) are the entities. `discovery` finds
homes on the LAN in the background and `config_flow` adds them.
"""

"""What the service talks about: sites and their settings, articles, comments, standing, events.
Plain frozen Structs with no I/O, beneath every layer: the domain decides with them, ``store/``
returns them, ``api/`` shapes its answers from them. (Beneath the store, so that the store can
return the domain's own types without an arrow pointing back up into ``domain/``.)"""

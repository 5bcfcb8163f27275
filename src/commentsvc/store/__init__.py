"""PostgreSQL storage: the pool, migrations and one module of SQL per aggregate.
Records go in, msgspec Structs come out; nothing here knows about HTTP."""

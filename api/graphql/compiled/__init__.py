"""The fast path for reads: query operations compiled into one SQL statement
(infrastructure/postgres/compiled), answered with the bytes Postgres built."""

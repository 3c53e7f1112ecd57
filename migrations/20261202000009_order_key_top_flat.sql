-- order_key_top() (see 20261202000001_organise.sql) without its loops: every created task calls
-- it, and one expression is cheaper for plpgsql than ten calls of order_key_digits and four
-- loop rounds (about 2% of a create in PostgreSQL, pgbench on the benchmark's data). The same
-- keys: 10 base-62 digits of 62^10 - 1 - microseconds since 1970 (newer is smaller, so the
-- newest task is on top), 4 random digits, and a last digit that is never '0'.
CREATE OR REPLACE FUNCTION order_key_top(ts timestamptz DEFAULT clock_timestamp())
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    d constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    k constant bigint := 839299365868340223 - (extract(epoch FROM ts) * 1000000)::bigint;
BEGIN
    RETURN substr(d, (k / 13537086546263552 % 62)::int + 1, 1)
        || substr(d, (k / 218340105584896 % 62)::int + 1, 1)
        || substr(d, (k / 3521614606208 % 62)::int + 1, 1)
        || substr(d, (k / 56800235584 % 62)::int + 1, 1)
        || substr(d, (k / 916132832 % 62)::int + 1, 1)
        || substr(d, (k / 14776336 % 62)::int + 1, 1)
        || substr(d, (k / 238328 % 62)::int + 1, 1)
        || substr(d, (k / 3844 % 62)::int + 1, 1)
        || substr(d, (k / 62 % 62)::int + 1, 1)
        || substr(d, (k % 62)::int + 1, 1)
        || substr(d, floor(random() * 62)::int + 1, 1)
        || substr(d, floor(random() * 62)::int + 1, 1)
        || substr(d, floor(random() * 62)::int + 1, 1)
        || substr(d, floor(random() * 62)::int + 1, 1)
        || substr(d, floor(random() * 61)::int + 2, 1);
END
$$;

"""Every table of a customer's rows carries `customer_id`, the future Citus distribution
column (docs/operations.md, "Citus: distribution by customer id"): purchase lines, refunds
and refund lines, which reached her only through their purchase, get it, backfilled from
`purchases`, NOT NULL and with its foreign key; settlement entries' `customer_id`, set by
every writer since 0007, becomes NOT NULL.

The previous release keeps running on this schema during the rolling upgrade (and after a
`helm rollback`), and it knows nothing of the new columns:

- It inserts lines, refunds and refund lines without `customer_id`. A column default
  cannot name the purchase's customer, and a `CHECK (customer_id IS NOT NULL) NOT VALID`
  would not help: NOT VALID skips the rows already there, never new ones, so it would
  refuse those inserts just as NOT NULL does. So a BEFORE INSERT trigger fills a missing
  `customer_id` from the parent row, before NOT NULL is checked. It runs only `WHEN
  (NEW.customer_id IS NULL)`: this release's writers set the column and never call it.
- It merges customers by moving `purchases` alone. An AFTER UPDATE trigger on
  `purchases.customer_id` moves the purchase's lines, refunds and refund lines with it.
  This release's merge moves them itself (`PgLoyaltyRepository.move_purchases`), after
  the purchases: while the trigger exists it finds them moved and writes nothing.

Both are shims for that release only, named `previous_release_*`, and go in a later
(contract) migration, once no release before this one can run. The tests drop them from
their database (tests/conftest.py) so that a writer leaning on them fails there, and test
them against the previous release's statements (tests/integration/test_rolling_upgrade.py).

No new index: nothing filters these three tables by `customer_id`. They are read by their
purchase or refund, whose keys lead their primary and unique keys, and a merge reaches
them the same way. The foreign keys to customers would want an index only for deleting a
customer or changing her id, which Rapport never does (a merge or an erasure keeps the
row). The keys Citus needs, `(customer_id, purchase_id, line_no)` and the like, replace
the present ones in the migration that distributes the tables.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = [
    # Never wait behind a long query with every request queued behind us
    # (docs/operations.md); a migration that times out fails, and the Job retries it.
    "SET LOCAL lock_timeout = '5s'",
    # Every lock this migration takes, at the start and parents first, rather than one by
    # one between statements, where a running purchase holding one and waiting for the
    # next would deadlock with it. Each is held until the commit anyway.
    "LOCK TABLE customers, purchases IN SHARE ROW EXCLUSIVE MODE",
    "LOCK TABLE purchase_lines, purchase_refunds, purchase_refund_lines,"
    " partner_settlement_entries IN ACCESS EXCLUSIVE MODE",
    "ALTER TABLE purchase_lines ADD COLUMN customer_id UUID",
    "ALTER TABLE purchase_refunds ADD COLUMN customer_id UUID",
    "ALTER TABLE purchase_refund_lines ADD COLUMN customer_id UUID",
    # The previous release's inserts: the purchase's customer, or the refund's.
    """CREATE FUNCTION previous_release_customer_id_of_purchase() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.customer_id := (SELECT customer_id FROM purchases WHERE id = NEW.purchase_id);
        RETURN NEW;
    END
    $$""",
    """CREATE FUNCTION previous_release_customer_id_of_refund() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.customer_id := (SELECT customer_id FROM purchase_refunds WHERE id = NEW.refund_id);
        RETURN NEW;
    END
    $$""",
    """CREATE TRIGGER previous_release_sets_customer_id BEFORE INSERT ON purchase_lines
        FOR EACH ROW WHEN (NEW.customer_id IS NULL)
        EXECUTE FUNCTION previous_release_customer_id_of_purchase()""",
    """CREATE TRIGGER previous_release_sets_customer_id BEFORE INSERT ON purchase_refunds
        FOR EACH ROW WHEN (NEW.customer_id IS NULL)
        EXECUTE FUNCTION previous_release_customer_id_of_purchase()""",
    """CREATE TRIGGER previous_release_sets_customer_id BEFORE INSERT ON purchase_refund_lines
        FOR EACH ROW WHEN (NEW.customer_id IS NULL)
        EXECUTE FUNCTION previous_release_customer_id_of_refund()""",
    # The previous release's merges.
    """CREATE FUNCTION previous_release_moves_purchase_children() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE purchase_lines SET customer_id = NEW.customer_id
            WHERE purchase_id = NEW.id AND customer_id <> NEW.customer_id;
        UPDATE purchase_refunds SET customer_id = NEW.customer_id
            WHERE purchase_id = NEW.id AND customer_id <> NEW.customer_id;
        UPDATE purchase_refund_lines x SET customer_id = NEW.customer_id
            FROM purchase_refunds r
            WHERE r.purchase_id = NEW.id AND x.refund_id = r.id
                AND x.customer_id <> NEW.customer_id;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER previous_release_moves_children AFTER UPDATE OF customer_id ON purchases
        FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id)
        EXECUTE FUNCTION previous_release_moves_purchase_children()""",
    # The backfill: one statement a table, while the tables are small. On a large one this
    # migration would be split, so that no statement rewrites the whole table under these
    # locks: the columns and the triggers first (instant, a migration of their own); then a
    # job outside any migration's transaction, in batches each committed on its own,
    #     UPDATE purchase_lines l SET customer_id = p.customer_id
    #     FROM (SELECT id, customer_id FROM purchases WHERE id > :last ORDER BY id
    #           LIMIT 5000) p
    #     WHERE l.purchase_id = p.id AND l.customer_id IS NULL
    # (and the refunds likewise); then `CHECK (customer_id IS NOT NULL) NOT VALID` and
    # `VALIDATE CONSTRAINT`, which lets writes go on, and SET NOT NULL, which a valid check
    # spares its scan; the foreign keys likewise NOT VALID, then VALIDATE.
    """UPDATE purchase_lines l SET customer_id = p.customer_id
        FROM purchases p WHERE p.id = l.purchase_id""",
    """UPDATE purchase_refunds r SET customer_id = p.customer_id
        FROM purchases p WHERE p.id = r.purchase_id""",
    """UPDATE purchase_refund_lines x SET customer_id = r.customer_id
        FROM purchase_refunds r WHERE r.id = x.refund_id""",
    "ALTER TABLE purchase_lines ALTER COLUMN customer_id SET NOT NULL",
    "ALTER TABLE purchase_refunds ALTER COLUMN customer_id SET NOT NULL",
    "ALTER TABLE purchase_refund_lines ALTER COLUMN customer_id SET NOT NULL",
    """ALTER TABLE purchase_lines ADD CONSTRAINT fk_purchase_lines_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (id)""",
    """ALTER TABLE purchase_refunds ADD CONSTRAINT fk_purchase_refunds_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (id)""",
    """ALTER TABLE purchase_refund_lines
        ADD CONSTRAINT fk_purchase_refund_lines_customer_id_customers
        FOREIGN KEY (customer_id) REFERENCES customers (id)""",
    # Every settlement entry names the customer whose redemption or purchase it settles
    # (domain/partners/settlement.py `settle`, in 0007's release as in this one): nothing to
    # backfill, and the table is append-only, so nothing could be. A large table would take
    # the checked route above instead of this statement's scan under its lock.
    "ALTER TABLE partner_settlement_entries ALTER COLUMN customer_id SET NOT NULL",
]

DOWNGRADE = [
    "ALTER TABLE partner_settlement_entries ALTER COLUMN customer_id DROP NOT NULL",
    "DROP TRIGGER IF EXISTS previous_release_moves_children ON purchases",
    "DROP FUNCTION IF EXISTS previous_release_moves_purchase_children()",
    "DROP TRIGGER IF EXISTS previous_release_sets_customer_id ON purchase_refund_lines",
    "DROP TRIGGER IF EXISTS previous_release_sets_customer_id ON purchase_refunds",
    "DROP TRIGGER IF EXISTS previous_release_sets_customer_id ON purchase_lines",
    "ALTER TABLE purchase_refund_lines DROP COLUMN IF EXISTS customer_id",
    "ALTER TABLE purchase_refunds DROP COLUMN IF EXISTS customer_id",
    "ALTER TABLE purchase_lines DROP COLUMN IF EXISTS customer_id",
    "DROP FUNCTION IF EXISTS previous_release_customer_id_of_refund()",
    "DROP FUNCTION IF EXISTS previous_release_customer_id_of_purchase()",
]


def upgrade() -> None:
    # One statement at a time: the asyncpg driver prepares each.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)

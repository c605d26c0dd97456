"""Database functions the ORM lacks, portable between PostgreSQL and SQLite."""

from django.db.models import DateField, Func


class AddDays(Func):
    """``date + days`` (both expressions) as a date: ``date + integer`` on PostgreSQL, ``date(d, '+n
    days')`` on SQLite. NULL when either is NULL."""

    output_field = DateField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra
        )

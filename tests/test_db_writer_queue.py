"""SQLite's writer queue (service.db.SQLiteWriterQueue): one writing transaction at a time per process, handed on
the moment a transaction ends or its connection goes back to the pool."""

import threading
import warnings

import sqlalchemy as sa
from sqlalchemy.exc import SADeprecationWarning

from service.db import engine_for


def _engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS note (body TEXT)"))
    return engine


def test_a_connection_given_back_mid_write_lets_the_next_writer_in(tmp_path):
    engine = _engine(tmp_path)
    first = engine.connect()
    first.execute(sa.text("INSERT INTO note VALUES ('first')"))  # takes the queue
    first.close()  # back to the pool without a commit: the pool's reset must hand the queue on

    stored = threading.Event()

    def second_writer():
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO note VALUES ('second')"))
        stored.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(timeout=10)
    assert stored.is_set(), "the next writer waited for a queue nobody held"


def test_the_queue_listens_with_the_pool_events_current_signatures(tmp_path):
    """SQLAlchemy converts listeners with a pre-2.0 signature, warning at every check-in, and says the conversion
    will go: then the queue would no longer be handed on when a connection goes back to the pool."""
    engine = _engine(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            with engine.begin() as connection:
                connection.execute(sa.text("INSERT INTO note VALUES ('x')"))
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT count(*) FROM note")).scalar_one()
    assert [str(w.message) for w in caught if issubclass(w.category, SADeprecationWarning)] == []

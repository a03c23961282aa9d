"""logging configuration: a handler added to the root logger, the root level
changed, logging.disable(), a logger created."""

import logging

import catalogue_state as S


class CatalogueHandler(logging.Handler):
    def emit(self, record):
        pass


def _ours():
    return [h for h in logging.getLogger().handlers if type(h).__name__ == "CatalogueHandler"]


def _handler():
    assert not _ours(), "root logger has handlers of another test: %r" % _ours()
    logging.getLogger().addHandler(CatalogueHandler())


def test_logging_root_handler_pristine_then_dirty_a():
    _handler()


def test_logging_root_handler_pristine_then_dirty_b():
    _handler()


def _level():
    level = logging.getLogger().level
    assert level == S.ROOT_LOGGER_LEVEL, "root level %r, golden %r" % (level, S.ROOT_LOGGER_LEVEL)
    logging.getLogger().setLevel(logging.DEBUG if level != logging.DEBUG else logging.ERROR)


def test_logging_root_level_pristine_then_dirty_a():
    _level()


def test_logging_root_level_pristine_then_dirty_b():
    _level()


def _disable():
    disabled = logging.root.manager.disable
    assert disabled == S.LOGGING_DISABLE, "logging.disable(%r) is in force" % disabled
    logging.disable(logging.CRITICAL)


def test_logging_disable_pristine_then_dirty_a():
    _disable()


def test_logging_disable_pristine_then_dirty_b():
    _disable()


def _created():
    assert S.LOGGER_NAME not in logging.root.manager.loggerDict, "logger %s exists" % S.LOGGER_NAME
    logging.getLogger(S.LOGGER_NAME).setLevel(logging.INFO)


def test_logging_logger_created_pristine_then_dirty_a():
    _created()


def test_logging_logger_created_pristine_then_dirty_b():
    _created()

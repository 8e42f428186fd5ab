"""Checked by mypy (not run by pytest): every adapter satisfies its driver Protocol."""

from pipereg.adapters import AsyncDriver, SyncDriver
from pipereg.adapters.mongomock import MongomockDriver, MongomockMotorDriver
from pipereg.adapters.motor import MotorDriver
from pipereg.adapters.pymongo import PyMongoDriver
from pipereg.adapters.pymongo_async import PyMongoAsyncDriver

sync_drivers: list[SyncDriver] = [PyMongoDriver(), MongomockDriver()]
async_drivers: list[AsyncDriver] = [PyMongoAsyncDriver(), MotorDriver(), MongomockMotorDriver()]

"""Fingerprint rules on realistic error messages and stack traces."""

from __future__ import annotations

import hashlib

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from issuelog.ops.fingerprint import (
    CURRENT_VERSION,
    ErrorSignature,
    Frame,
    normalize_message_v1,
    parse_stack_trace,
    split_error_line,
)


def fingerprint(message: str, error_type: str = "", component: str = "", stack: str = "") -> str:
    return ErrorSignature.from_parts(message, error_type, component, stack).fingerprint()


@pytest.mark.parametrize(("first", "second"), [
    ("TimeoutError: query timed out after 30s", "TimeoutError: query timed out after 45.5 seconds"),
    ("Read timed out. (read timeout=10)", "Read timed out. (read timeout=120)"),
    ("CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 15.78 GiB total capacity)",
     "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 1; 7.5 GiB total capacity)"),
    ("MemoryError: cannot allocate 1048576 bytes", "MemoryError: cannot allocate 512 bytes"),
    ("KeyError: 'user_42'", "KeyError: 'order-7f3a'"),
    ('ValueError: invalid literal for int() with base 10: "abc"',
     'ValueError: invalid literal for int() with base 10: "12x"'),
    ("connection refused to 10.0.0.5:5432", "connection refused to 192.168.1.20:5433"),
    ("no route to fe80::1ff:fe23:4567:890a", "no route to 2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    ("request 3fa85f64-5717-4562-b3fc-2c963f66afa6 failed",
     "request 0b9d2c1e-1111-4a4a-8b8b-123456789abc failed"),
    ("segfault at 0x7ffd12a4 in libpq", "segfault at 0x55d0c0ffee in libpq"),
    ("job failed at 2026-01-10T12:00:01Z", "job failed at 2026-02-11 08:30:00"),
    ("No such file: /home/ada/shop/config/settings.yaml", "No such file: /srv/app/config/settings.yaml"),
    ("error in C:\\build\\app\\db.py:42", "error in D:\\work\\app\\db.py:117"),
    ("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 not found",
     "commit 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b not found"),
])
def test_variable_parts_do_not_change_the_fingerprint(first: str, second: str) -> None:
    assert fingerprint(first, component="db") == fingerprint(second, component="db")


@pytest.mark.parametrize(("first", "second"), [
    ("KeyError: 'user'", "IndexError: list index out of range"),
    ("query timed out after 30s", "connection timed out after 30s"),
    ("cannot allocate memory", "cannot allocate file handle"),
])
def test_different_words_give_different_fingerprints(first: str, second: str) -> None:
    assert fingerprint(first) != fingerprint(second)


def test_type_and_component_are_part_of_the_fingerprint() -> None:
    assert fingerprint("timed out", "TimeoutError", "db") != fingerprint("timed out", "TimeoutError", "api")
    assert fingerprint("timed out", "TimeoutError", "db") != fingerprint("timed out", "OSError", "db")


def test_error_type_is_read_from_the_message_when_not_given() -> None:
    assert split_error_line("KeyError: 'user_42'") == ("KeyError", "'user_42'")
    assert split_error_line("requests.exceptions.ConnectionError: refused") == (
        "requests.exceptions.ConnectionError", "refused")
    assert split_error_line("disk full") == ("", "disk full")
    assert fingerprint("KeyError: 'a'") == fingerprint("'b'", error_type="KeyError")


def test_normalized_message_keeps_words() -> None:
    assert normalize_message_v1("  Pool exhausted:\n 20 of 20 connections in use after 30s ") == (
        "Pool exhausted: <n> of <n> connections in use after <n>")
    assert normalize_message_v1("Can't find model 'zh_core_web_sm' (utf8, http2)") == (
        "Can't find model <value> (utf8, http2)")
    assert normalize_message_v1("std::vector at ::1 after 12:30:05") == (
        "std::vector at <ip> after <timestamp>")


CHECKOUT_A = """\
Traceback (most recent call last):
  File "/home/ada/src/shop/app/api.py", line 120, in handle
    return orders.total(cart)
  File "/home/ada/src/shop/app/orders.py", line 42, in total
    price = PRICES[item.sku]
KeyError: 'sku-1234'
"""
CHECKOUT_B = """\
Traceback (most recent call last):
  File "/srv/releases/2026.02/shop/app/api.py", line 131, in handle
    return orders.total(cart)
  File "/srv/releases/2026.02/shop/app/orders.py", line 47, in total
    price = PRICES[item.sku]
KeyError: 'sku-99'
"""


def test_same_stack_trace_from_two_checkouts_groups_together() -> None:
    assert parse_stack_trace(CHECKOUT_A) == [Frame("api.py", "handle"), Frame("orders.py", "total")]
    first = ErrorSignature.from_parts("", component="api", stack_trace=CHECKOUT_A)
    second = ErrorSignature.from_parts("", component="api", stack_trace=CHECKOUT_B)
    assert first.error_type == "KeyError"
    assert first.message == "'sku-1234'"
    assert first.fingerprint() == second.fingerprint()


def test_a_different_call_path_is_a_different_error() -> None:
    other_path = CHECKOUT_A.replace("in total", "in subtotal")
    assert fingerprint("", component="api", stack=CHECKOUT_A) != fingerprint(
        "", component="api", stack=other_path)


def test_java_and_javascript_frames() -> None:
    java = ("java.lang.NullPointerException\n"
            "\tat com.shop.Cart.total(Cart.java:42)\n\tat com.shop.Api.handle(Api.java:7)")
    assert parse_stack_trace(java) == [Frame("Cart.java", "com.shop.Cart.total"),
                                       Frame("Api.java", "com.shop.Api.handle")]
    node = "TypeError: x is undefined\n    at handler (/srv/app/api.js:10:5)\n    at /srv/app/server.js:3:1"
    assert parse_stack_trace(node) == [Frame("api.js", "handler"), Frame("server.js", "<anonymous>")]


def test_fingerprint_is_stable_and_versioned() -> None:
    signature = ErrorSignature("TimeoutError", "database", "query timed out after 30s")
    # Version 1's digest is stored in users' issue files: its recipe must never change.
    recipe = "\x1f".join(["v1", "TimeoutError", "database", "query timed out after <n>"])
    assert signature.fingerprint(1) == hashlib.sha256(recipe.encode()).hexdigest()[:16]
    assert CURRENT_VERSION == 1
    with pytest.raises(ValueError, match="unknown fingerprint version 99"):
        signature.fingerprint(99)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_normalizing_twice_changes_nothing(message: str) -> None:
    once = normalize_message_v1(message)
    assert normalize_message_v1(once) == once


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9),
       st.sampled_from(["ms", "s", " seconds", " MiB", "GB", "%", ""]))
def test_any_number_with_any_unit_is_the_same_error(first: int, second: int, unit: str) -> None:
    assert fingerprint(f"pool exhausted after {first}{unit}", component="db") == fingerprint(
        f"pool exhausted after {second}.5{unit}", component="db")


def test_a_path_right_after_a_placeholder_is_stable() -> None:
    # Found by the idempotence property: "0/@" once became "<n>/@" and then "<n><path>".
    once = normalize_message_v1("0/@")
    assert normalize_message_v1(once) == once

"""Build hook: the only thing here is the cffi extension; metadata is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["csrc/build_native.py:ffibuilder"])

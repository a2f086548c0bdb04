"""The type stubs name exactly what the C extension has, so editors
complete the real API."""

import ast
import inspect
import pathlib

import runjournal
from runjournal import _runjournal


def stub_names():
    tree = ast.parse(pathlib.Path(runjournal.__file__).with_name("_runjournal.pyi").read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    handle = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Handle")
    methods = {n.name for n in handle.body if isinstance(n, ast.FunctionDef)}
    return functions, methods


def test_the_stubs_name_every_function_and_method_of_the_extension():
    functions, methods = stub_names()
    real_functions = {n for n, v in vars(_runjournal).items() if inspect.isbuiltin(v)}
    real_methods = {n for n in dir(_runjournal.Handle) if not n.startswith("__")}
    assert functions == real_functions
    assert methods == real_methods


def test_the_package_is_marked_typed():
    assert pathlib.Path(runjournal.__file__).with_name("py.typed").exists()

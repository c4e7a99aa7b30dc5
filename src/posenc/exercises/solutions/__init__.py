"""Reference solutions of the exercises, written from scratch in plain torch (what ``posenc exercise
solution NAME`` shows). Each file holds one function; its signature and docstring are the exercise's
template. tests/exercises checks every file against the library with the exercise checker."""

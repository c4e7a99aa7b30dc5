"""Implement it yourself: exercises with an automatic checker (``posenc exercise``).

    catalog.py     the exercises: cases (expected values from posenc.encodings), usual mistakes, hints
    solutions/     reference solutions from scratch in plain torch; each is its exercise's template
    template.py    the starting file cut from a solution (imports, signature, docstring, no body)
    check.py       runs a learner's file case by case in a worker process and reports what differs
    runner.py      the worker process (imports the learner's file; a crash or a hang cannot spread)
    cli.py         ``posenc exercise list | show | start | check | solution``
"""

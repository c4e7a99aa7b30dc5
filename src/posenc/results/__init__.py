"""How results leave the program: JSON-safe values, results files, one plotting style, one number style.

A leaf of the package graph (it imports nothing of posenc but ``posenc.atomic``), so every layer may
use it: the trainer's log, the evaluator's eval.json, the experiments' and the study's results.json,
the inspector's ``--json`` and plots, the notes' numbers.

    jsonsafe     to_jsonable (tensors, numpy, tuples, paths, inf/NaN -> plain JSON), loads_strict
    files        write_json_atomic, prepare_out_dir
    schema       load_json / validate against a declarative schema (SchemaError naming file and field),
                 sealed / seal_problem: rows with a checksum of their canonical JSON
    plotting     the shared matplotlib style, new_figure, save_figure (PNG + SVG)
    formatting   num, signed, base, power_of_ten: numbers as tables and sentences write them

Nothing is imported here, so ``import posenc.results.jsonsafe`` loads neither matplotlib nor torch.
"""

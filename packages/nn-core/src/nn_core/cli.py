"""The ``nn`` command line.

Every error a user can cause ends in a non-zero exit and one line per
problem on stderr; a traceback appears only with ``--debug``. With ``--json``
stdout holds exactly one JSON document, for scripts (``nn train --json | jq``);
progress and human-readable reports go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import stat
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from nn_core.component import REF_KEYWORD
from nn_core.errors import NNError, exception_line

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
"""errno values of a failed write that are the disk's doing, never nn's."""
"""128 + SIGPIPE, what a shell reports for a command killed by a closed pipe."""


def _plugins(args: argparse.Namespace) -> Any:
    """This command's plugins (:class:`nn_core.plugins.Plugins`), loaded on first use;
    their problems are printed once."""
    from nn_core import plugins

    loaded = getattr(args, "loaded_plugins", None)
    if loaded is None:
        loaded = args.loaded_plugins = plugins.load_plugins()
        for problem in loaded.registry.problems:
            print(f"nn: warning: {problem}", file=sys.stderr)
    return loaded


def _add_spec_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="spec file (YAML or JSON)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a spec value before validation, e.g. --set training.epochs=50 (repeatable)",
    )


def _load(args: argparse.Namespace) -> Any:
    from nn_core.spec import load_spec

    return load_spec(args.spec, args.overrides, _plugins(args).registry)


def _output(path: str | None, inputs: list[str | None], *, what: str = "-o", stdout_ok: bool = False) -> str:
    """Fail before hours of training, not after, when the output cannot or must not be written."""
    from nn_core.outputs import check_output_path

    return check_output_path(path, inputs=inputs, what=what, stdout_ok=stdout_ok)


# -- commands ---------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    spec = _load(args)
    if args.json:
        print(json.dumps({"valid": True, "spec": spec.document}))
    else:
        layers = " → ".join(
            f"{ly.type}({ly.params.get('units', '')})" if "units" in ly.params else ly.type for ly in spec.model.layers
        )
        print(f"{args.spec}: valid ({layers}; loss {spec.loss.type}; optimizer {spec.optimizer.type})")
    return 0


def _table(metrics: dict[str, dict[str, float]]) -> str:
    names = sorted({k for scores in metrics.values() for k in scores}, key=lambda k: (k != "loss", k))
    rows = [["split", *names]] + [
        [split, *(f"{scores[k]:.6f}" if k in scores else "" for k in names)] for split, scores in metrics.items()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> int:
    from nn_core.checkpoint import load_checkpoint, restore
    from nn_core.experiment import build
    from nn_core.model import model_from_run
    from nn_core.outputs import same_file, spec_inputs
    from nn_core.training import Interrupted, train

    spec = _load(args)
    if args.resume is not None and not args.resume:
        raise NNError("--resume is empty; name the checkpoint to continue from")
    inputs: list[str | None] = [args.spec, *spec_inputs(spec), args.resume]
    if args.output is not None:
        _output(args.output, inputs)
        log = spec.training.log
        if log and (os.path.abspath(log) == os.path.abspath(args.output) or same_file(log, args.output)):
            raise NNError(f"-o {args.output} is also training.log; write the model and the log to different files")
    resume = None
    if args.resume is not None:
        arrays, meta = load_checkpoint(args.resume)
    experiment = build(spec, _plugins(args).registry)
    if args.resume is not None:
        resume = restore(experiment, arrays, meta, args.resume)
    from nn_core.progress import Progress

    samples = len(experiment.splits["train"].data.y)
    progress = Progress(spec.training.epochs, args.quiet, batch_size=min(spec.training.batch_size or samples, samples))
    fallback_dir = os.path.dirname(os.path.abspath(args.output)) if args.output else None
    fallback_prefix = f"{os.path.basename(args.output)}." if args.output else ""
    try:
        run = train(
            experiment,
            plugins=_plugins(args),
            on_log=progress,
            on_progress=progress.step if progress.live else None,
            resume=resume,
            checkpoint_dir=fallback_dir,
            checkpoint_prefix=fallback_prefix,
        )
    except Interrupted as stop:
        progress.close()
        print(f"nn: {stop}", file=sys.stderr)
        if stop.checkpoint:
            print(f"nn: resume with: {_resume_command(args, stop.checkpoint)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    metrics = run.final_metrics
    if args.output:
        model_from_run(run).save(args.output)
    # With --json, stdout holds exactly one JSON document; the report goes to stderr.
    report = sys.stderr if args.json else sys.stdout
    if resume is not None:
        step = int(resume["next_step"])
        start = int(resume["next_epoch"]) - (0 if step else 1)
        where = f"epoch {int(resume['next_epoch'])}, step {step}" if step else f"epoch {start}"
        more = run.epoch - start
        print(
            f"trained {spec.name}: resumed at {where}; trained {more:,} more epoch{'s' * (more != 1)} "
            f"in {run.train_seconds:.2f}s",  # as a fresh run says it
            file=report,
        )
    else:
        print(f"trained {spec.name}: {run.epoch} epochs in {run.train_seconds:.2f}s", file=report)
    if run.stop_reason:
        print(run.stop_reason, file=report)
    if run.best_epoch is not None:
        print(
            f"early stopping at epoch {run.stopped_early_at}; restored the best weights, from epoch {run.best_epoch}",
            file=report,
        )
    print(_table(metrics), file=report)
    if args.output:
        print(f"model written to {args.output}", file=report)
    if args.json:
        print(json.dumps({**metrics, "epochs": run.epoch, "train_seconds": run.train_seconds}))
    return 0


def _resume_command(args: argparse.Namespace, checkpoint: str) -> str:
    """The command that continues an interrupted run, quoted for a POSIX shell (safe to paste)."""
    import shlex

    words = ["nn", "train", args.spec]
    for override in args.overrides:
        words += ["--set", override]
    if args.output:
        words += ["-o", args.output]
    return shlex.join([*words, "--resume", checkpoint])


def _note_backend(path: str, model: Any) -> None:
    """Say so when a model runs on another backend, or device, than the one that trained it."""
    trained = model.metadata.get("trained_on_backend")
    if trained:
        print(
            f"nn: note: {path} was trained on backend {trained!r}; running it on {model.spec.backend!r}",
            file=sys.stderr,
        )
    device = model.metadata.get("trained_on_device")
    if device:
        print(
            f"nn: note: {path} was trained on device {device!r}, which this machine lacks; "
            f"running it on {model.spec.device!r}",
            file=sys.stderr,
        )


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nn_core.evaluation import evaluate_model
    from nn_core.model import load_model
    from nn_core.spec import load_spec

    registry = _plugins(args).registry
    model = load_model(args.model, registry, backend=args.backend)
    _note_backend(args.model, model)
    source = args.data if args.data else dict(model.metadata["spec"])
    data_spec = load_spec(source, args.overrides, registry)
    results = evaluate_model(model, data_spec, registry)
    if args.json:
        print(json.dumps(results))
        return 0
    print(
        _table(
            {
                split: {k: v for k, v in r.items() if k not in ("confusion_matrix", "per_class", "samples")}
                for split, r in results.items()
            }
        )
    )
    for split, r in results.items():
        if "confusion_matrix" in r:
            names = model.classes or [str(i) for i in range(len(r["confusion_matrix"]))]
            print(f"\n{split}: {r['samples']} samples; confusion matrix (rows true, columns predicted); scores")
            print(_confusion_and_report(names, r["confusion_matrix"], r["per_class"]))
    return 0


def _confusion_and_report(names: list[str], matrix: list[list[int]], report: list[dict[str, Any]]) -> str:
    """The confusion matrix with each class's precision, recall, F1 and support to its right."""
    width = max(len(n) for n in names + [str(v) for row in matrix for v in row])
    head = " " * width + "  " + "  ".join(n.rjust(width) for n in names)
    lines = [head + "  |  precision  recall      f1  support"]
    for name, row, scores in zip(names, matrix, report, strict=True):
        cells = name.rjust(width) + "  " + "  ".join(str(v).rjust(width) for v in row)
        lines.append(
            f"{cells}  |  {scores['precision']:9.4f}  {scores['recall']:6.4f}  {scores['f1']:6.4f}  "
            f"{scores['support']:7d}"
        )
    return "\n".join(lines)


def cmd_predict(args: argparse.Namespace) -> int:
    from nn_core.model import load_model
    from nn_core.prediction import read_inputs, write_predictions

    registry = _plugins(args).registry
    from nn_core.inputs import check_input_file
    from nn_core.outputs import STDOUT, spec_inputs

    model = load_model(args.model, registry, backend=args.backend)
    _note_backend(args.model, model)
    output = _output(args.output, [args.model, args.inputs, *spec_inputs(model.spec)], stdout_ok=True)
    check_input_file(args.inputs, "input file", directory_ok=True)  # a dataset may read a folder (Kaggle's)
    X = read_inputs(model, args.inputs, registry)
    rows = write_predictions(model, output, X, args.proba, registry)
    what = f"{rows} prediction{'s' if rows != 1 else ''}"
    if output == STDOUT:
        print(f"wrote {what} to standard output", file=sys.stderr)
    else:
        print(f"wrote {what} to {args.output}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from nn_core.export import ExportError, export_model, exporters
    from nn_core.model import load_model

    plugins = _plugins(args)
    formats = exporters(plugins.pm)
    if args.format not in formats:
        installed = ", ".join(sorted(formats)) or "none (nn-torch provides torch)"
        raise ExportError(f"--format {args.format!r}: no such export format; installed formats: {installed}")
    _output(args.output, [args.model])  # before loading anything
    model = load_model(args.model, plugins.registry)
    note = export_model(model, formats[args.format], args.output, source=args.model)
    print(f"wrote {args.output} ({args.format})")
    if note:
        print(note)
    return 0


def cmd_gradcheck(args: argparse.Namespace) -> int:
    from nn_core.experiment import build
    from nn_core.gradcheck import check_gradients
    from nn_core.spec import load_spec

    registry = _plugins(args).registry
    for option, value in (("--samples", args.samples), ("--max-entries", args.max_entries)):
        if value is not None and value < 1:
            raise NNError(f"{option} must be at least 1, got {value}")
    # float32 rounding alone gives relative errors near 1e-3: always check in float64.
    spec = load_spec(args.spec, [*args.overrides, "dtype=float64"], registry)
    result = check_gradients(build(spec, registry), samples=args.samples, max_entries=args.max_entries)
    if args.json:
        print(result.to_json())
    else:
        width = max(len(name) for name in result.parameters)
        for name, error in result.parameters.items():
            if error < result.threshold:
                mark = "ok"
            elif result.parameter_passed(name):
                mark = f"ok (all entries within {result.atol:.0e} absolute)"
            else:
                mark = "FAIL"
            kinks = result.kinks.get(name, 0)
            if kinks:
                mark += f"; {kinks} {'entry' if kinks == 1 else 'entries'} at a kink, compared one-sided"
            print(f"{name.ljust(width)}  {error:.3e}  {mark}")
        verdict = "passed" if result.passed else "FAILED"
        print(
            f"gradient check {verdict}: max relative error {result.max_relative_error:.3e} "
            f"(threshold {result.threshold:.0e}, absolute floor {result.atol:.0e}, {result.samples} samples, float64)"
        )
        if result.skipped_samples:
            rows = ", ".join(str(i) for i in result.skipped_samples)
            print(
                f"skipped training rows {rows}: each put a ReLU-family unit within the step of its kink "
                "(activation input near 0), where a central difference averages two slopes; "
                "other rows, drawn with the spec's seed, took their place"
            )
        if result.kinks:
            print(
                "entries marked 'at a kink' still straddled one after swapping rows: they were compared with "
                "the one-sided derivatives, one of which backprop's subgradient must equal"
            )
    return 0 if result.passed else 1


def cmd_plot(args: argparse.Namespace) -> int:
    from nn_core.plotting import pyplot

    registry = _plugins(args).registry
    if args.what in args.plot_kinds:  # a plugin's picture (nn_core.commands.add_plot_kind): it draws as it likes
        _output(args.output, [args.target])
        return int(args.plot_kinds[args.what](args, _plugins(args)))
    pyplot()  # fail early, with the install hint, when matplotlib is missing
    if args.what == "activation":
        from nn_core.plotting.activation import activation_from_text, plot_activation
        from nn_core.spec.schema import default_backend

        backend = args.backend or default_backend(registry)
        _output(args.output, [])
        plot_activation(activation_from_text(args.target, registry, backend), args.output)
    else:
        from nn_core.model import load_model
        from nn_core.outputs import spec_inputs

        _output(args.output, [args.target])
        model = load_model(args.target, registry)
        _output(args.output, [args.target, *spec_inputs(model.spec)])
        if args.what == "history":
            from nn_core.plotting.history import plot_history

            plot_history(model.metadata.get("history") or [], args.output, title=model.spec.name)
        elif args.what == "confusion":
            from nn_core.evaluation import evaluate_model
            from nn_core.plotting.confusion import plot_confusion

            if model.task != "classification":
                raise NNError("nn plot confusion needs a classifier; this model does regression")
            plot_confusion(model, evaluate_model(model, model.spec, registry), args.output)
        else:
            from nn_core.experiment import load_data
            from nn_core.plotting.boundary import plot_boundary

            data = load_data(model.spec, registry)
            plot_boundary(model, data.X, data.y, args.output)
    print(f"wrote {args.output}")
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    from nn_core.plotting import pyplot
    from nn_core.plotting.animate import animate

    pyplot()
    from nn_core.outputs import spec_inputs

    spec = _load(args)
    _output(args.output, [args.spec, *spec_inputs(spec)])
    every = args.every or max(1, spec.training.epochs // 60)
    if every < 1:
        raise NNError("--every must be at least 1")
    frames = animate(spec, _plugins(args), args.output, every, args.fps)
    print(f"wrote {args.output} ({frames} frames)")
    return 0


def _is_model_file(path: str) -> bool:
    """Model files are zip archives; specs are text (and a FIFO or device is never a model file)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # opening a FIFO would wait for a writer
            return False
        with open(path, "rb") as f:
            return f.read(2) == b"PK"
    except OSError:
        return False


def cmd_summary(args: argparse.Namespace) -> int:
    from nn_core.summary import summarize

    registry = _plugins(args).registry
    if not os.path.exists(args.target):  # SPEC|MODEL: which one was meant is unknown
        raise NNError(f"{args.target}: spec or model file not found")
    if _is_model_file(args.target):
        from nn_core.model import load_model

        model = load_model(args.target, registry)
        spec, input_dim = model.spec, model.input_dim
    else:
        from nn_core.experiment import load_data
        from nn_core.spec import load_spec

        spec = load_spec(args.target, args.overrides, registry)
        input_dim = int(load_data(spec, registry).X.shape[1])  # the data decides the input width
    summary = summarize(spec, registry, input_dim)
    print(json.dumps(summary.as_dict()) if args.json else summary.table())
    return 0


def cmd_plugins_show(args: argparse.Namespace, registry: Any) -> int:
    from nn_core.registry import unknown_name_message

    matches = [i for i in registry.all() if i.name == args.name and (args.kind is None or i.kind == args.kind)]
    if not matches:
        installed = sorted({i.name for i in registry.all() if args.kind is None or i.kind == args.kind})
        raise NNError(unknown_name_message(args.kind or "component", args.name, installed))
    if args.json:  # one document, however many kinds share the name
        rows = [
            {
                "kind": info.kind,
                "name": info.name,
                "backend": info.backend,
                "distribution": info.distribution,
                "version": info.version,
                "doc": (info.cls.__doc__ or "").strip(),
                "params_schema": info.cls.params_schema,
                **({"higher_is_better": info.cls.higher_is_better} if info.kind == "metric" else {}),
            }
            for info in matches
        ]
        print(json.dumps({"components": rows}))
        return 0
    for info in matches:
        backend = f" (backend {info.backend})" if info.backend else ""
        print(f"{info.kind} {info.name}{backend} — from {info.provider}\n")
        print(_dedent(info.cls.__doc__ or "(no docstring)"))
        print("\nparameters:")
        props = info.cls.params_schema.get("properties", {})
        required = set(info.cls.params_schema.get("required", []))
        if not props:
            print("  (none)")
        for pname, pschema in props.items():
            detail: Any = {k: v for k, v in pschema.items() if k not in ("description", "default")}
            if REF_KEYWORD in pschema:
                detail = f"{pschema[REF_KEYWORD]} (a name, or {{type: NAME, ...parameters}})"
            else:
                detail = json.dumps(detail)
            if pname in required:
                need = "required"
            else:
                need = f"default {json.dumps(pschema['default'])}" if "default" in pschema else "optional"
            print(f"  {pname}: {detail} ({need})")
            if "description" in pschema:
                print(f"      {pschema['description']}")
        if info.kind == "metric":  # which way early stopping counts an improvement
            print(f"\nhigher is better: {'yes' if info.cls.higher_is_better else 'no'} (early stopping)")
    return 0


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


def cmd_plugins(args: argparse.Namespace) -> int:
    registry = _plugins(args).registry
    if args.action == "show":
        if not args.name:
            raise NNError("usage: nn plugins show NAME [--kind KIND]")
        return cmd_plugins_show(args, registry)
    if args.action is not None:
        raise NNError(f"unknown plugins action {args.action!r}; try `nn plugins` or `nn plugins show NAME`")
    infos = registry.all()
    if args.json:
        rows = [
            {
                "kind": i.kind,
                "name": i.name,
                "backend": i.backend,
                "distribution": i.distribution,
                "version": i.version,
                "summary": i.summary,
            }
            for i in infos
        ]
        problems = [str(p) for p in registry.problems]
        print(json.dumps({"components": rows, "problems": problems}))
        return 0
    if not infos:
        print("no components installed (install nn-numpy and nn-datasets: see README)")
        return 0
    table = [
        [i.kind, i.name, i.backend or ("-" if i.kind == "backend" else "any"), i.provider, i.summary] for i in infos
    ]
    widths = [max(len(r[c]) for r in table) for c in range(4)]
    for r in table:
        print("  ".join(r[c].ljust(widths[c]) for c in range(4)) + "  " + r[4])
    if not registry.names("backend"):
        from nn_core.hints import install_hint

        print(f"\nno backend is installed: `{install_hint('nn-numpy')}` provides the numpy backend")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from nn_core.spec.schema import compose_schema

    print(json.dumps(compose_schema(_plugins(args).registry, args.backend).schema, indent=2))
    return 0


# -- entry point ------------------------------------------------------------------


def versions() -> list[tuple[str, str]]:
    """nn-core's version and every installed distribution that plugs into nn (the ``nn`` entry points)."""
    from importlib.metadata import PackageNotFoundError, entry_points, version

    found: dict[str, str] = {}
    try:
        found["nn-core"] = version("nn-core")
    except PackageNotFoundError:  # running from a source tree without an install
        found["nn-core"] = "unknown (not installed)"
    for ep in entry_points(group="nn"):
        dist = ep.dist
        if dist is not None:
            found.setdefault(dist.metadata["Name"], dist.version)
    return [("nn-core", found.pop("nn-core")), *sorted(found.items())]


class _VersionAction(argparse.Action):
    """``nn --version``: one line per distribution, nn-core first."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        rows = versions()
        width = max(len(name) for name, _ in rows)
        print("\n".join(f"{name.ljust(width)}  {ver}" for name, ver in rows))
        parser.exit()


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nn", description="Train neural networks from declarative specs.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--version", action=_VersionAction, help="print the versions of nn and its plugins")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a spec against the installed components")
    _add_spec_args(p)
    p.add_argument("--json", action="store_true", help="print the normalized spec as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("train", help="train the model a spec describes")
    _add_spec_args(p)
    p.add_argument("-o", "--output", metavar="PATH", help="write the trained model to exactly PATH")
    p.add_argument(
        "--json", action="store_true", help="stdout: one JSON object of final metrics (the report goes to stderr)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue a run from one of its checkpoints")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("gradcheck", help="compare backprop with numerical gradients for a spec's model")
    _add_spec_args(p)
    p.add_argument("--samples", type=int, default=8, help="training samples to check on (default 8)")
    p.add_argument("--max-entries", type=int, default=None, help="check at most N entries per parameter")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_gradcheck)

    p = sub.add_parser("evaluate", help="metrics of a saved model on its spec's data splits (or another spec's)")
    p.add_argument("model", help="model file written by nn train -o")
    p.add_argument("--data", metavar="SPEC", help="evaluate on this spec's data instead of the model's own")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a value of the data spec (e.g. data.dataset.path=...)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--backend",
        default=None,
        metavar="NAME",
        help="run the model on this backend (default: the one that trained it, else the default installed one)",
    )
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict for a CSV of inputs (Kaggle test.csv → submission)")
    p.add_argument("model", help="model file written by nn train -o")
    p.add_argument(
        "inputs",
        help="numeric CSV of inputs (header row optional), or the model's dataset format: "
        "Kaggle's test.csv for kaggle_mnist, an IDX images file for idx",
    )
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="CSV file to write (- for standard output)")
    p.add_argument("--proba", action="store_true", help="add one probability column per class")
    p.add_argument(
        "--backend",
        default=None,
        metavar="NAME",
        help="run the model on this backend (default: the one that trained it, else the default installed one)",
    )
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("export", help="write a trained model in another framework's format (nn export --format torch)")
    p.add_argument("model", help="model file written by nn train -o")
    p.add_argument("--format", required=True, metavar="NAME", help="export format, from the installed plugins (torch)")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="file to write, e.g. model.pt")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "plot", help="draw a model's decision boundary, history or confusion matrices, or an activation (matplotlib)"
    )
    p.add_argument("what", choices=["boundary", "history", "confusion", "activation"])
    p.add_argument(
        "target",
        help="model file (boundary, history, confusion), or an activation: a name or "
        "'{type: leaky_relu, alpha: 0.2}' (activation)",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="image to write (.png, .svg, .pdf)")
    p.add_argument("--backend", default=None, help="backend of the activation (default: the default backend)")
    # plugins may add kinds (nn_core.commands.add_plot_kind), so `nn plot` loads their commands
    p.set_defaults(func=cmd_plot, plot_kinds={}, plot_owners={}, extended_by_plugins=True)

    p = sub.add_parser("animate", help="train a spec and animate its decision boundary (GIF, or MP4 with ffmpeg)")
    _add_spec_args(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help=".gif or .mp4 to write")
    p.add_argument("--every", type=int, default=None, metavar="K", help="a frame every K epochs (default: epochs/60)")
    p.add_argument("--fps", type=int, default=8)
    p.set_defaults(func=cmd_animate)

    p = sub.add_parser("summary", help="each layer's output width, parameters and activation (like Keras)")
    p.add_argument("target", help="spec file or model file")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a spec value first (specs only)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("plugins", help="list installed components; `nn plugins show NAME` documents one")
    p.add_argument("action", nargs="?", choices=["show"], help="show: a component's docstring and parameters")
    p.add_argument("name", nargs="?", help="component name, for show")
    p.add_argument("--kind", help="disambiguate show when several kinds share a name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("schema", help="print the JSON Schema of specs, for editors")
    p.add_argument("--backend", default=None, help="the backend whose components the schema lists (default: numpy)")
    p.set_defaults(func=cmd_schema)
    accept_debug_after_command(sub)
    return parser


def _show_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    """One line per warning: its first line and where it came from, never the source line below it."""
    text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
    print(f"nn: warning: {text} ({category.__name__}, {os.path.basename(filename)}:{lineno})", file=sys.stderr)


def accept_debug_after_command(sub: Any) -> None:
    """Let ``--debug`` follow the subcommand too (``nn train --debug spec.yaml``).

    SUPPRESS keeps a subcommand that was not given the flag from resetting
    one given before it (``nn --debug train ...``).
    """
    for command in sub.choices.values():
        if not any("--debug" in action.option_strings for action in command._actions):
            command.add_argument(
                "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors"
            )


def main(argv: Sequence[str] | None = None) -> int:
    from nn_core.plugin_commands import add_plugin_commands

    parser = make_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:  # --version and --help print here
        args, extras = parser.parse_known_args(argv, namespace=add_plugin_commands(parser, argv))
        _claim_plugins_show_name(args, extras)
        if extras:
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit:
        if _stdout_fails():
            raise SystemExit(_stdout_failed(sys.exc_info()[1])) from None
        raise
    except OSError as exc:  # `nn --version | head -0`
        return _stdout_failed(exc)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        code = _run(args)
    if _stdout_fails():  # buffered output that never reached a full disk or a closed pipe
        return _stdout_failed(None)
    return code


def _stdout_fails() -> bool:
    """Whether what nn printed cannot be delivered (flushing raises: a full disk, a closed pipe)."""
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return False


def _stdout_failed(exc: BaseException | None) -> int:
    """One line for output that could not be written to standard output; quiet for a closed pipe, as cat is.

    Standard output is pointed at /dev/null afterwards, so Python's own flush at exit
    does not print a multi-line "Exception ignored" report.
    """
    broken = isinstance(exc, BrokenPipeError)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        broken = True
    except OSError as failure:
        exc = failure
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if broken:
        return EXIT_BROKEN_PIPE
    reason = getattr(exc, "strerror", None) or "the write failed"
    where = getattr(exc, "filename", None) or "standard output"
    print(f"nn: error: cannot write to {where}: {reason}", file=sys.stderr)
    return 1


def _claim_plugins_show_name(args: argparse.Namespace, extras: list[str]) -> None:
    """``nn plugins show --kind activation tanh``: argparse hands NAME back as unrecognized.

    Two optional positionals (``show``, ``NAME``) are matched in one go, so an
    option between them leaves NAME over; it belongs to ``show`` when no name was given.
    """
    if getattr(args, "func", None) is cmd_plugins and args.action == "show" and args.name is None:
        for i, word in enumerate(extras):
            if not word.startswith("-"):
                args.name = extras.pop(i)
                return


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except NNError as exc:
        if args.debug:
            raise
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"nn: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("nn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`nn predict M X -o - | head`): stop quietly, as cat does.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        if args.debug:
            raise
        if exc.errno in _DISK_ERRORS:  # standard output on a full disk (`nn plugins > /dev/full`): not a bug
            return _stdout_failed(exc)
        return _internal_error(exc)
    except MemoryError as exc:
        if args.debug:
            raise
        detail = f" ({exc})" if str(exc) else ""
        print(f"nn: error: out of memory{detail}; is a layer or the data larger than intended?", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug in nn or a plugin: say so, briefly
        if args.debug:
            raise
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    print(f"nn: internal error: {exception_line(exc)} (run with --debug for the traceback)", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

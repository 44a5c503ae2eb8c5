#!/usr/bin/env bash
# Regenerate the README gallery with exactly the commands README shows (run from the repository root).
# Models go to a temporary folder; only the pictures land in docs/gallery.
set -euo pipefail
out=docs/gallery
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nn train specs/spirals.yaml --set data.split.dev=0.1 -q -o "$tmp/spirals.nn"
nn plot boundary "$tmp/spirals.nn" -o "$out/spirals-boundary.png"
nn plot history "$tmp/spirals.nn" -o "$out/spirals-history.png"
nn train specs/moons-l2.yaml -q -o "$tmp/moons.nn"
nn plot boundary "$tmp/moons.nn" -o "$out/moons-l2-boundary.png"
nn train specs/moons-3-class.yaml -q -o "$tmp/m3.nn"
nn plot boundary "$tmp/m3.nn" -o "$out/moons-3-class-boundary.png"
nn train specs/moons-3-class.yaml --set name=iris --set data.dataset=iris --set data.split.dev=0.3 -q -o "$tmp/iris.nn"
nn plot confusion "$tmp/iris.nn" -o "$out/iris-confusion.png"
nn plot activation tanh -o "$out/tanh.png"
nn plot activation sigmoid -o "$out/sigmoid.png"
nn plot activation '{type: leaky_relu, alpha: 0.2}' -o "$out/leaky-relu.png"
nn animate specs/circles.yaml --set training.epochs=6000 --every 200 -o "$out/circles.gif"

"""nn-torch: nn's compute catalogue on torch tensors (backend ``torch``), CPU and CUDA."""

__version__ = "0.2.0"

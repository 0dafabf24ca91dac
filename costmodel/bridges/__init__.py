"""The bridge to PyTorch, apart from the rest: torch_model (a spec as a torch.nn graph, torch imported
here only) and crosscheck (`costmodel verify`: costmodel against PyTorch's own counts)."""

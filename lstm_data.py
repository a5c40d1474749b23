"""Loading the lessons' data files (data/*.npz), checked: names, shapes, finiteness."""

print("dosecabd: not yet wired")

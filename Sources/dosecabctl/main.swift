print("dosecabctl: not yet wired")

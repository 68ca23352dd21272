// Runs TOMLGuard (compiled from Sources/DoseCabHardware/TOMLGuard.swift, which depends on
// nothing else) over files; prints each file the guard would let through to toml++.
import Foundation

var accepted = 0
for path in CommandLine.arguments.dropFirst() {
    let text = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    if TOMLGuard.check(text) == nil {
        accepted += 1
        print("accepted by the guard: \(path)")
    }
}
FileHandle.standardError.write(Data("guard: accepted \(accepted) of \(CommandLine.arguments.count - 1)\n".utf8))

// The lab's Go peers in one binary: "golab client ..." or "golab server ...".
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: golab client|server [options]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "client":
		clientMain(os.Args[2:])
	case "server":
		serverMain(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "golab: unknown mode", os.Args[1])
		os.Exit(2)
	}
}

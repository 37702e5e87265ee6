// Settings shared by the lab's Go SMTP client and server: TLS versions and
// cipher suites by name, as the lab script passes them.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"strings"
)

var versions = map[string]uint16{
	"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13,
}

func parseVersion(s string) (uint16, error) {
	if s == "" {
		return 0, nil // the library's default
	}
	v, ok := versions[s]
	if !ok {
		return 0, fmt.Errorf("unknown TLS version %q (1.0 1.1 1.2 1.3)", s)
	}
	return v, nil
}

// parseCiphers reads a comma-separated list of Go cipher suite names
// (TLS 1.0-1.2 only: Go does not let TLS 1.3 suites be chosen).
func parseCiphers(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	byName := map[string]uint16{}
	for _, c := range tls.CipherSuites() {
		byName[c.Name] = c.ID
	}
	for _, c := range tls.InsecureCipherSuites() {
		byName[c.Name] = c.ID
	}
	var ids []uint16
	for _, n := range strings.Split(s, ",") {
		id, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("unknown cipher suite %q", n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// tlsFlags are the TLS settings both peers take on their command line.
type tlsFlags struct {
	min, max, ciphers *string
}

func addTLSFlags(fs *flag.FlagSet) tlsFlags {
	return tlsFlags{
		min:     fs.String("min", "", "lowest TLS version"),
		max:     fs.String("max", "", "highest TLS version"),
		ciphers: fs.String("ciphers", "", "cipher suites (Go names, comma-separated)"),
	}
}

// apply sets versions and suites on cfg from the flag values.
func (f tlsFlags) apply(cfg *tls.Config) error {
	var err error
	if cfg.MinVersion, err = parseVersion(*f.min); err != nil {
		return err
	}
	if cfg.MaxVersion, err = parseVersion(*f.max); err != nil {
		return err
	}
	cfg.CipherSuites, err = parseCiphers(*f.ciphers)
	return err
}

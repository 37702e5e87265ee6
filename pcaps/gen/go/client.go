// A lab SMTP client on Go's net/smtp and crypto/tls (standard library only):
// EHLO, STARTTLS, EHLO, one tiny message, QUIT, from a fixed source port.
//
//	goclient -server ADDR:PORT -sport N [-min V] [-max V] [-ciphers LIST]
//	         [-cafile F] [-name HOST]
//
// Prints one line with the outcome and exits 0 either way: failures are
// what the lab captures.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"time"
)

func clientMain(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	server := fs.String("server", "", "server ADDR:PORT")
	sport := fs.Int("sport", 0, "client source port")
	tf := addTLSFlags(fs)
	cafile := fs.String("cafile", "", "trusted roots (PEM)")
	name := fs.String("name", "mx.example.test", "server name to send and verify")
	fs.Parse(args)

	cfg := &tls.Config{ServerName: *name}
	if err := tf.apply(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(2)
	}
	if *cafile != "" {
		pem, err := os.ReadFile(*cafile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "goclient:", err)
			os.Exit(2)
		}
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(pem)
	}
	if err := send(*server, *sport, cfg); err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("sent")
}

func send(server string, sport int, cfg *tls.Config) error {
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{Port: sport}}
	conn, err := d.Dial("tcp", server)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	host, _, _ := net.SplitHostPort(server)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example.test"); err != nil {
		return err
	}
	if err := c.StartTLS(cfg); err != nil {
		return err
	}
	if st, ok := c.TLSConnectionState(); ok {
		fmt.Printf("TLS %#x %s\n", st.Version, tls.CipherSuiteName(st.CipherSuite))
	}
	if err := c.Mail("a@client.example.test"); err != nil {
		return err
	}
	if err := c.Rcpt("b@example.test"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprint(w, "Subject: t\r\n\r\nx\r\n")
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

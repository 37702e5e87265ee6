// A small lab ESMTP server on Go's crypto/tls (standard library only):
// offers STARTTLS, accepts one message per session and discards it.
//
//	golab server -listen ADDR:PORT -cert CHAIN.pem -key KEY.pem
//	             [-min V] [-max V] [-ciphers LIST]
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func serverMain(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	listen := fs.String("listen", "", "ADDR:PORT")
	cert := fs.String("cert", "", "certificate chain (PEM)")
	key := fs.String("key", "", "private key (PEM)")
	tf := addTLSFlags(fs)
	fs.Parse(args)

	pair, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(2)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}}
	if err := tf.apply(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(2)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go serve(c, cfg)
	}
}

// session is one SMTP conversation; its reader and writer are swapped for
// TLS ones after STARTTLS.
type session struct {
	conn net.Conn
	r    *bufio.Reader
	tls  bool
}

func (s *session) reply(lines ...string) {
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		b.WriteString(l[:3] + sep + l[4:] + "\r\n")
	}
	s.conn.Write([]byte(b.String()))
}

func serve(c net.Conn, cfg *tls.Config) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	s := &session{conn: c, r: bufio.NewReader(c)}
	s.reply("220 gomx.example.test ESMTP golab")
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return
		}
		if !s.command(strings.TrimRight(line, "\r\n"), cfg) {
			return
		}
	}
}

// command answers one command; false ends the session.
func (s *session) command(line string, cfg *tls.Config) bool {
	verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
	switch verb {
	case "EHLO":
		if s.tls {
			s.reply("250 gomx.example.test", "250 PIPELINING", "250 8BITMIME")
		} else {
			s.reply("250 gomx.example.test", "250 PIPELINING", "250 8BITMIME", "250 STARTTLS")
		}
	case "HELO", "MAIL", "RCPT", "RSET", "NOOP":
		s.reply("250 2.0.0 Ok")
	case "STARTTLS":
		if s.tls {
			s.reply("503 5.5.1 Already in TLS")
			return true
		}
		s.reply("220 2.0.0 Ready to start TLS")
		tc := tls.Server(s.conn, cfg)
		if err := tc.Handshake(); err != nil {
			fmt.Fprintln(os.Stderr, "goserver: handshake:", err)
			return false
		}
		s.conn, s.r, s.tls = tc, bufio.NewReader(tc), true
	case "DATA":
		s.reply("354 End data with <CR><LF>.<CR><LF>")
		for {
			l, err := s.r.ReadString('\n')
			if err != nil {
				return false
			}
			if l == ".\r\n" || l == ".\n" {
				break
			}
		}
		s.reply("250 2.0.0 Ok: queued")
	case "QUIT":
		s.reply("221 2.0.0 Bye")
		return false
	default:
		s.reply("502 5.5.2 Command not recognized")
	}
	return true
}

// A lab SMTP client on Java's JSSE: EHLO, STARTTLS over SSLSocket (with the
// certificate and host name checked), EHLO, one tiny message, QUIT, from a
// fixed source port.
//
//   java StartTlsClient HOST PORT SPORT [--protocols TLSv1.2,TLSv1.3]
//        [--ciphers LIST] [--cafile F] [--name HOST] [--allow-old]
//
// --allow-old clears jdk.tls.disabledAlgorithms, which in Java 17 forbids
// TLS 1.0 and 1.1 (without it a client limited to them sends no ClientHello
// at all). Prints one line with the outcome and exits 0 either way.
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class StartTlsClient {
    private BufferedReader in;
    private OutputStream out;

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 3; i < args.length; i++) {
            if (args[i].equals("--allow-old"))
                opt.put("allow-old", "");
            else if (i + 1 < args.length)
                opt.put(args[i].substring(2), args[++i]);
        }
        if (opt.containsKey("allow-old"))
            Security.setProperty("jdk.tls.disabledAlgorithms", "");
        try {
            new StartTlsClient().run(args[0], Integer.parseInt(args[1]),
                                     Integer.parseInt(args[2]), opt);
            System.out.println("sent");
        } catch (Exception e) { // report and go on: failures are the point
            System.out.println("error: " + e);
        }
    }

    private String reply() throws Exception {
        String line;
        do {
            line = in.readLine();
            if (line == null)
                throw new Exception("connection closed");
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private String cmd(String c) throws Exception {
        out.write((c + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    private void streams(Socket s) throws Exception {
        in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        out = s.getOutputStream();
    }

    private static SSLContext context(String cafile) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (FileInputStream f = new FileInputStream(cafile)) {
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(f))
                ks.setCertificateEntry("ca" + n++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private void run(String host, int port, int sport, Map<String, String> opt) throws Exception {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(sport));
        s.connect(new InetSocketAddress(host, port), 10000);
        s.setSoTimeout(15000);
        streams(s);
        reply();
        cmd("EHLO client.example.test");
        String r = cmd("STARTTLS");
        if (!r.startsWith("220"))
            throw new Exception("STARTTLS refused: " + r);
        String name = opt.getOrDefault("name", "mx.example.test");
        SSLSocket t = (SSLSocket) context(opt.getOrDefault("cafile", "root.crt"))
            .getSocketFactory().createSocket(s, name, port, true);
        SSLParameters p = t.getSSLParameters();
        // the host name check, against the name given to createSocket
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setServerNames(Collections.singletonList(new SNIHostName(name)));
        if (opt.containsKey("protocols"))
            p.setProtocols(opt.get("protocols").split(","));
        if (opt.containsKey("ciphers"))
            p.setCipherSuites(opt.get("ciphers").split(","));
        t.setSSLParameters(p);
        t.startHandshake();
        System.out.println("TLS " + t.getSession().getProtocol() + " " + t.getSession().getCipherSuite());
        streams(t);
        cmd("EHLO client.example.test");
        cmd("MAIL FROM:<a@client.example.test>");
        cmd("RCPT TO:<b@example.test>");
        cmd("DATA");
        cmd("Subject: t\r\n\r\nx\r\n.");
        cmd("QUIT");
        t.close();
    }
}

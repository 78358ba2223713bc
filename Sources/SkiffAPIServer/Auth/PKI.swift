import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster's certificate authority and the API server's serving certificate, created on first
/// start under `<data-dir>/tls` and reused afterwards.
public struct PKI: Sendable {
    public var caCertificatePEM: String
    public var servingCertificatePEM: String
    public var servingKeyPEM: String

    /// Loads the CA and serving certificate from `directory`, creating what is missing.
    /// `hosts` are the serving certificate's subject alternative names (names and IP addresses).
    public static func loadOrCreate(directory: String, hosts: [String]) throws -> PKI {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let caCertPath = directory + "/ca.crt", caKeyPath = directory + "/ca.key"
        let certPath = directory + "/serving.crt", keyPath = directory + "/serving.key"
        let caKey: P256.Signing.PrivateKey
        let caCert: Certificate
        if let keyPEM = try? String(contentsOfFile: caKeyPath, encoding: .utf8),
           let certPEM = try? String(contentsOfFile: caCertPath, encoding: .utf8) {
            caKey = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
            caCert = try Certificate(pemEncoded: certPEM)
        } else {
            caKey = P256.Signing.PrivateKey()
            let name = try DistinguishedName { CommonName("skiff-ca@\(Int(Date().timeIntervalSince1970))") }
            caCert = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
                notValidBefore: Date().addingTimeInterval(-3600), notValidAfter: Date().addingTimeInterval(10 * 365 * 86400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: .init(caKey))
            try write(caKey.pemRepresentation, to: caKeyPath, mode: 0o600)
            try write(caCert.serializeAsPEM().pemString, to: caCertPath, mode: 0o644)
            try? fm.removeItem(atPath: certPath)
        }
        let caPEM = try caCert.serializeAsPEM().pemString
        if let keyPEM = try? String(contentsOfFile: keyPath, encoding: .utf8),
           let certPEM = try? String(contentsOfFile: certPath, encoding: .utf8),
           let cert = try? Certificate(pemEncoded: certPEM), covers(cert, hosts) {
            return PKI(caCertificatePEM: caPEM, servingCertificatePEM: certPEM + "\n" + caPEM, servingKeyPEM: keyPEM)
        }
        let key = P256.Signing.PrivateKey()
        let names: [GeneralName] = hosts.map { h in
            if let ip = ipBytes(h) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))) }
            return .dnsName(h)
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-3600), notValidAfter: Date().addingTimeInterval(365 * 86400),
            issuer: caCert.subject, subject: try DistinguishedName { CommonName("kube-apiserver") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKey))
        let certPEM = try cert.serializeAsPEM().pemString
        try write(key.pemRepresentation, to: keyPath, mode: 0o600)
        try write(certPEM, to: certPath, mode: 0o644)
        return PKI(caCertificatePEM: caPEM, servingCertificatePEM: certPEM + "\n" + caPEM, servingKeyPEM: key.pemRepresentation)
    }

    /// Whether a certificate's SANs include every host.
    static func covers(_ cert: Certificate, _ hosts: [String]) -> Bool {
        guard let sans = try? cert.extensions.subjectAlternativeNames else { return false }
        var have = Set<String>()
        for n in sans {
            switch n {
            case .dnsName(let d): have.insert(d)
            case .ipAddress(let ip): have.insert(ip.bytes.map(String.init).joined(separator: "."))
            default: break
            }
        }
        return hosts.allSatisfy { have.contains($0) }
    }

    static func ipBytes(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".")
        guard parts.count == 4 else { return nil }
        let bytes = parts.compactMap { UInt8($0) }
        return bytes.count == 4 ? bytes : nil
    }

    static func write(_ text: String, to path: String, mode: Int) throws {
        let tmp = path + ".tmp"
        try text.write(toFile: tmp, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: tmp)
        _ = rename(tmp, path)
    }
}

import Testing
@testable import SkiffNodeAgent

/// `$(VAR)` expansion, case by case as Kubernetes' expansion rules have it.
struct VolumeExpansionTests {
    static let vars = ["A": "alpha", "B": "beta", "C": "gamma", "REF": "$(A)", "EMPTY": ""]

    @Test(arguments: [
        ("$(A)", "alpha"),                                   // the whole input
        ("$(A)$(A)", "alphaalpha"),                          // the same name twice, adjacent
        ("x-$(A)-$(B)-$(C)-$(A)", "x-alpha-beta-gamma-alpha"),
        ("$(A)/tail", "alpha/tail"), ("head/$(B)", "head/beta"), ("h$(C)t", "hgammat"),
        ("$$(B)_$(A)", "$(B)_alpha"),                        // $$ escapes the reference after it
        ("$$(A)$$(B)", "$(A)$(B)"),
        ("p-$$A", "p-$A"),                                   // $$ is a $ even without a reference
        ("a\\$(C)b", "a\\gammab"),                           // backslash is not an escape
        ("a\\\\$(C)b", "a\\\\gammab"),
        ("$(A$(B))", "$(A$(B))"),                            // no nesting: the name runs to the first ')'
        ("$(A$(B)", "$(A$(B)"),
        ("$(REF)", "$(A)"),                                  // values are not expanded again
        ("<$(REF)|$(REF)>", "<$(A)|$(A)>"),
        ("in$(EMPTY)out", "inout"),                          // defined but empty
        ("x$(Aoops", "x$(Aoops"),                            // unterminated
        ("(A)", "(A)"),                                      // no operator
        ("$?-$!", "$?-$!"),                                  // shell specials pass through
        ("$A", "$A"), ("$A)", "$A)"), ("${A}", "${A}"),        // only $( starts a reference
        ("$(NOPE)", "$(NOPE)"),                              // undefined stays as written
        ("$$$$$$(NOPE)", "$$$(NOPE)"), ("$$$$$$(A)", "$$$(A)"),  // an even run of $ halves
        ("$$$$$$$(NOPE)", "$$$$(NOPE)"), ("$$$$$$$(A)", "$$$alpha"),  // an odd run ends in a reference
        ("$(B)___$(A", "beta___$(A"),                        // trailing unterminated reference kept
        ("$(C)___$(", "gamma___$("),
        ("$(A)end$", "alphaend$"),                           // trailing operator kept
        ("--$($($($--", "--$($($($--"), ("$($($(--x$(", "$($($(--x$("), ("x--$($($(", "x--$($($("),
        ("$(a$$b)", "$(a$$b)"),                              // $$ inside a name is part of the name
        ("\n", "\n"), ("", ""), ("ünï$(A)cödé", "ünïalphacödé"),
    ])
    func expands(_ input: String, _ expected: String) {
        #expect(EnvExpansion.expand(input, lookup: Self.vars) == expected)
    }

    @Test func firstContextWins() {
        let out = EnvExpansion.expand("$(X)-$(Y)-$(Z)", contexts: [["X": "1"], ["X": "2", "Y": "3"]])
        #expect(out == "1-3-$(Z)")
    }

    @Test func environmentSeesOnlyEarlierVariables() {
        let env = EnvExpansion.expandEnvironment(
            [("HOST", "db"), ("URL", "http://$(HOST):$(PORT)/"), ("PORT", "5432"), ("SVC", "$(SVC_HOST)")],
            fallback: ["SVC_HOST": "10.0.0.1", "HOST": "ignored"])
        #expect(env.map(\.1) == ["db", "http://db:$(PORT)/", "5432", "10.0.0.1"])
    }

    @Test func subPathNeedsEveryVariableSet() throws {
        #expect(try EnvExpansion.expandSubPath("logs/$(POD)", env: ["POD": "web-1"]) == "logs/web-1")
        #expect(try EnvExpansion.expandSubPath("$$(POD)", env: [:]) == "$(POD)")
        let error = #expect(throws: VolumeError.self) { try EnvExpansion.expandSubPath("$(B)/$(A)/$(POD)", env: ["POD": "x", "A": ""]) }
        #expect(error?.message == "missing value for A, B")
    }
}

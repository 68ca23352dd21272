/// The patient is who the card says (I4): card presented and PIN verified.
public struct PatientIdentityRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        var refusals: [Refusal] = []
        if !request.identity.cardPresented { refusals.append(Refusal(.unknownCard, "no patient card presented")) }
        if !request.identity.pinVerified { refusals.append(Refusal(.wrongPIN, "patient PIN not verified")) }
        return refusals
    }
}

/// A staff member other than the patient witnesses (I4, §4a: nobody witnesses their own dose).
public struct StaffWitnessRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        if request.witness == nil { return [Refusal(.noStaffWitness, "no staff session open at the counter")] }
        if request.witnessIsPatient {
            return [Refusal(.witnessIsPatient, "the witness is the patient; another staff member must witness")]
        }
        return []
    }
}

/// The witness attests the patient is not visibly intoxicated.
public struct IntoxicationAttestationRule: RequestRule {
    public func refusals(_ request: DispenseRequest, _ context: DispenseContext) -> [Refusal] {
        request.notIntoxicatedAttested ? []
            : [Refusal(.noIntoxicationAttestation, "the witness has not attested the patient is not visibly intoxicated")]
    }
}

/// Scales scores to 0...`maxNodeScore` by the highest one; `reverse` makes the highest raw
/// score the lowest (`helper.DefaultNormalizeScore`). All-zero scores stay 0, or become
/// `maxNodeScore` when reversed.
func defaultNormalize(_ scores: inout [Int64], reverse: Bool) {
    let maxCount = scores.max() ?? 0
    if maxCount == 0 {
        if reverse { for i in scores.indices { scores[i] = maxNodeScore } }
        return
    }
    for i in scores.indices {
        let s = maxNodeScore * scores[i] / maxCount
        scores[i] = reverse ? maxNodeScore - s : s
    }
}

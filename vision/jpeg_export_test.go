package vision

// HuffmanSpec is a Huffman table as a DHT segment holds it.
type HuffmanSpec struct {
	Counts [16]uint8
	Vals   []byte
}

// StdHuffman returns the decoder's Annex K tables: DC luma, DC chroma, AC
// luma, AC chroma (for the test encoder and the check against image/jpeg).
func StdHuffman() [4]HuffmanSpec {
	return [4]HuffmanSpec{
		{stdDCLuma, stdDCLumaVals}, {stdDCChroma, stdDCChromaVals},
		{stdACLuma, stdACLumaVals}, {stdACChroma, stdACChromaVals},
	}
}

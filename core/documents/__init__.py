"""Invoice documents: the PDF a customer downloads and, for business customers, the Factur-X
file (the same PDF carrying the invoice as EN 16931 CII XML)."""

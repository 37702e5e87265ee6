module starttls-lab

go 1.19

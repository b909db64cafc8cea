# The README's picture: a burst of 1,200 war rooms through the account budget, from the budget
# benchmark's own numbers. Make them, then draw:
#   mvn -B -Pbench -DskipTests verify -Dbench=budget
#   gnuplot -c docs/img/budget-burst.gp target/bench/budget-burst.csv docs/img/budget-burst.png
csv = ARG1
set terminal pngcairo size 900,560 font "sans,10"
set output ARG2
set datafile separator ","
set key center center box opaque
set multiplot layout 2,1 title "A backlog of 1,200 incidents through the account budget (budget benchmark; second 0: the first call)"
set grid
set xrange [0:*]
set ylabel "calls in the second"
set y2label "calls in the last 60 s"
set ytics nomirror
set y2tics
set yrange [0:60]
set y2range [0:1200]
plot csv every ::1 using 1:2 with steps lw 1.5 lc rgb "#1f77b4" title "Flashduty calls per second", \
     50 with lines dt 2 lc rgb "#1f77b4" title "50 / s limit", \
     csv every ::1 using 1:3 axes x1y2 with lines lw 2 lc rgb "#d62728" title "calls in the last 60 s", \
     1000 axes x1y2 with lines dt 2 lc rgb "#d62728" title "1,000 / 60 s limit"
unset y2label
unset y2tics
set ytics mirror
set yrange [0:*]
set xlabel "seconds since the first Flashduty call"
set ylabel "wait for the war room, s"
set key top left box opaque
plot csv every ::1 using 1:6 with points pt 7 ps 0.6 lc rgb "#9467bd" title "longest wait of the rooms opened in the second", \
     csv every ::1 using 1:5 with points pt 7 ps 0.4 lc rgb "#2ca02c" title "median wait of the rooms opened in the second"
unset multiplot
